import { checkHttpUrl, KindSettingsSpec, rejectUnknownFields } from './kind-settings';

/** A webhook has no kind settings: its signing secret and static headers are fields of the destination itself. */
export const WEBHOOK_SETTINGS: KindSettingsSpec = {
  kind: 'webhook',
  secretFields: [],
  requiredSecretFields: [],
  targetFields: [],
  // One alert version per request: the signature covers one body and the receiver answers for one.
  batch: { defaultMaxEvents: 1, maxMaxEvents: 1, defaultMaxBytes: 1024 * 1024, maxMaxBytes: 1024 * 1024 },
  exampleUrl: 'https://pipeline.internal:8443/lacework',
  checkUrl: (url) => checkHttpUrl(url),
  parse(input) {
    rejectUnknownFields(input, []);
    return { settings: {}, credentials: {} };
  },
};
