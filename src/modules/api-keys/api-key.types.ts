import { Field, InputType, ObjectType } from 'type-graphql';
import { ApiKey, ApiKeyScope } from './api-key.entity';

@InputType({ description: 'A new API key for a report generator or script of your organization.' })
export class CreateApiKeyInput {
  @Field({ description: 'What the key is for, e.g. "Bildungsbericht 2025 (Power BI)"; 1 to 100 characters.' })
  name: string;

  @Field(() => ApiKeyScope, { description: '`READ` for reports and dashboards; `READ_WRITE` only for a script that uploads data.' })
  scope: ApiKeyScope;
}

@ObjectType({ description: 'A newly created API key: the key itself, shown only in this response, and its record.' })
export class CreatedApiKey {
  @Field({ description: 'The full key, to send as `Authorization: Bearer <key>`. Shown only now: the hub keeps only a hash of it, so store it safely.' })
  key: string;

  @Field(() => ApiKey, { description: 'The record of the key, as `apiKeys` lists it.' })
  apiKey: ApiKey;
}
