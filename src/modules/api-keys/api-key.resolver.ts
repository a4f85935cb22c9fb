import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { ApiKey } from './api-key.entity';
import { ApiKeyService } from './api-key.service';
import { CreateApiKeyInput, CreatedApiKey } from './api-key.types';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey], { description: "Your organization's API keys, newest first, revoked ones included; never their secrets. Empty for the public." })
  apiKeys(@Ctx() ctx: RequestContext): Promise<ApiKey[]> {
    return ApiKeyService.list(ctx);
  }

  @Mutation(() => CreatedApiKey, {
    description: 'Creates an API key for your organization (admins only; an API key cannot create keys: FORBIDDEN). The full key is in this response only.',
  })
  createApiKey(@Ctx() ctx: RequestContext, @Arg('input', () => CreateApiKeyInput, { description: 'Name and scope of the key.' }) input: CreateApiKeyInput): Promise<CreatedApiKey> {
    return ApiKeyService.create(ctx, input);
  }

  @Mutation(() => ApiKey, {
    description: "Revokes an API key of your organization (admins only): it is refused from the next request on. Another organization's key is NOT_FOUND, an already revoked one CONFLICT.",
  })
  revokeApiKey(@Ctx() ctx: RequestContext, @Arg('id', () => Int, { description: 'Id of the key.' }) id: number): Promise<ApiKey> {
    return ApiKeyService.revoke(ctx, id);
  }
}
