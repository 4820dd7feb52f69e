import { Injectable } from '@nestjs/common';
import type { DestinationKind, DestinationSender } from './destination-sender';
import { ELASTICSEARCH_SETTINGS } from './elasticsearch.settings';
import { ElasticsearchSender } from './elasticsearch.sender';
import type { KindSettingsSpec } from './kind-settings';
import { SECOPS_SETTINGS } from './secops.settings';
import { SecOpsSender } from './secops.sender';
import { SENTINEL_SETTINGS } from './sentinel.settings';
import { SentinelSender } from './sentinel.sender';
import { SPLUNK_HEC_SETTINGS } from './splunk-hec.settings';
import { SplunkHecSender } from './splunk-hec.sender';
import { SYSLOG_SETTINGS } from './syslog.settings';
import { SyslogSender } from './syslog.sender';
import { WEBHOOK_SETTINGS } from './webhook.settings';
import { WebhookSender } from './webhook.sender';

/** What each kind accepts as settings. */
export const KIND_SETTINGS: Readonly<Record<DestinationKind, KindSettingsSpec>> = {
  webhook: WEBHOOK_SETTINGS,
  splunk_hec: SPLUNK_HEC_SETTINGS,
  elasticsearch: ELASTICSEARCH_SETTINGS,
  sentinel: SENTINEL_SETTINGS,
  secops: SECOPS_SETTINGS,
  syslog: SYSLOG_SETTINGS,
};

/** The senders of every kind, for the module's providers. */
export const SENDER_CLASSES = [
  WebhookSender,
  SplunkHecSender,
  ElasticsearchSender,
  SentinelSender,
  SecOpsSender,
  SyslogSender,
] as const;

/** The one sender of each kind. */
@Injectable()
export class DestinationSenders {
  private readonly byKind: ReadonlyMap<DestinationKind, DestinationSender>;

  constructor(
    webhook: WebhookSender,
    splunk: SplunkHecSender,
    elasticsearch: ElasticsearchSender,
    sentinel: SentinelSender,
    secops: SecOpsSender,
    syslog: SyslogSender,
  ) {
    const senders: DestinationSender[] = [webhook, splunk, elasticsearch, sentinel, secops, syslog];
    this.byKind = new Map(senders.map((s) => [s.kind, s]));
  }

  of(kind: DestinationKind): DestinationSender {
    const sender = this.byKind.get(kind);
    if (sender === undefined) {
      throw new Error(`no sender for destination kind ${kind}`);
    }
    return sender;
  }
}
