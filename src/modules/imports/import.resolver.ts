import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { ImportService, rowsSource } from './import.service';
import { ImportObservationsInput, ImportReport } from './import.types';

@Resolver()
export class ImportResolver {
  @Mutation(() => ImportReport, {
    description:
      'Uploads cells (the same pipeline and checks as `POST /import`): all or nothing — a report with every refused row (`status: REJECTED`) writes nothing. New values become drafts of your organization unless `release`; a changed cell gets a new version, an unchanged row writes nothing. Needs the role editor or admin (API keys: READ_WRITE).',
  })
  importObservations(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => ImportObservationsInput, { description: 'The rows and how to treat them.' }) input: ImportObservationsInput,
  ): Promise<ImportReport> {
    return ImportService.run(ctx, rowsSource(input.rows), input);
  }
}
