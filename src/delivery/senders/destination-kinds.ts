import { Injectable } from '@nestjs/common';
import type { DestinationKind, DestinationSender } from './destination-sender';
import type { KindSettingsSpec } from './kind-settings';
import { WEBHOOK_SETTINGS } from './webhook.settings';
import { WebhookSender } from './webhook.sender';

/** What each kind accepts as settings. */
export const KIND_SETTINGS: Readonly<Partial<Record<DestinationKind, KindSettingsSpec>>> = {
  webhook: WEBHOOK_SETTINGS,
};

/** The one sender of each kind. */
@Injectable()
export class DestinationSenders {
  private readonly byKind: ReadonlyMap<DestinationKind, DestinationSender>;

  constructor(webhook: WebhookSender) {
    this.byKind = new Map<DestinationKind, DestinationSender>([webhook].map((s) => [s.kind, s]));
  }

  of(kind: DestinationKind): DestinationSender {
    const sender = this.byKind.get(kind);
    if (sender === undefined) {
      throw new Error(`no sender for destination kind ${kind}`);
    }
    return sender;
  }
}
