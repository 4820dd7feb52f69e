import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain.errors';
import {
  AlertActionRepository,
  ActionTarget,
  AlertActionRow,
  NewAlertAction,
} from './alert-action.repository';
import { AlertActionView } from './alert-action.view';
import { CloseAlertDto, CommentAlertDto } from './dto/alert-action.dto';
import { WritebackWorker } from './writeback.worker';

/** Who asked for an action, for the audit trail. */
export interface ActionRequester {
  role: string;
  requestId: string | null;
  idempotencyKey: string | null;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Accepts closes and comments for Lacework alerts: stores each one first (answered 202 with its id), then the
 * write-back worker sends it. A repeated Idempotency-Key returns the first action instead of a second one.
 */
@Injectable()
export class WritebackService {
  constructor(
    private readonly actions: AlertActionRepository,
    private readonly worker: WritebackWorker,
  ) {}

  async close(alertRowId: string, dto: CloseAlertDto, by: ActionRequester): Promise<AlertActionView> {
    const comment = dto.comment?.trim() === '' ? undefined : dto.comment;
    if (dto.reason === 0 && comment === undefined) {
      throw new InvalidInputError('comment', 'is required with reason 0 (Other), as Lacework requires');
    }
    return this.accept(alertRowId, 'close', by, async (target) => {
      if (target.status === 'Closed') {
        throw new ConflictError(`alert ${alertRowId} is already closed in Lacework`, {
          alert: {
            id: target.id,
            alertId: target.alert_id,
            status: target.status,
            version: target.current_version,
          },
        });
      }
      const open = await this.actions.findOpenClose(target.id);
      if (open !== null) {
        throw new ConflictError(
          `alert ${alertRowId} already has a close ${open.state === 'done' ? 'sent' : 'waiting'}`,
          {
            alert: {
              id: target.id,
              alertId: target.alert_id,
              status: target.status,
              version: target.current_version,
            },
            action: { id: open.id, state: open.state },
          },
        );
      }
      return { reason: dto.reason, comment: comment ?? null, format: null };
    });
  }

  async comment(alertRowId: string, dto: CommentAlertDto, by: ActionRequester): Promise<AlertActionView> {
    if (dto.comment.trim() === '') {
      throw new InvalidInputError('comment', 'must not be blank');
    }
    return this.accept(alertRowId, 'comment', by, () =>
      Promise.resolve({ reason: null, comment: dto.comment, format: dto.format ?? 'plaintext' }),
    );
  }

  /** Every action asked for an alert, oldest first, with its attempts. */
  async actionsOf(alertRowId: string): Promise<AlertActionView[]> {
    const { actions, attempts } = await this.actions.listForAlert(alertRowId);
    return actions.map((a) => AlertActionView.of(a, attempts));
  }

  private async accept(
    alertRowId: string,
    kind: 'close' | 'comment',
    by: ActionRequester,
    check: (target: ActionTarget) => Promise<Pick<NewAlertAction, 'reason' | 'comment' | 'format'>>,
  ): Promise<AlertActionView> {
    if (by.idempotencyKey !== null && !IDEMPOTENCY_KEY.test(by.idempotencyKey)) {
      throw new InvalidInputError('Idempotency-Key', 'must be 1 to 200 printable characters without spaces');
    }
    if (by.idempotencyKey !== null) {
      const first = await this.actions.findByIdempotencyKey(by.idempotencyKey);
      if (first !== null) {
        return this.repeat(first, alertRowId, kind);
      }
    }
    const target = await this.actions.findTarget(alertRowId);
    if (target === null) {
      throw new NotFoundError(`alert ${alertRowId} not found`);
    }
    const fields = await check(target);
    const { row, created } = await this.actions.insert({
      target,
      kind,
      ...fields,
      requestedBy: by.role,
      requestId: by.requestId,
      idempotencyKey: by.idempotencyKey,
    });
    if (!created) {
      return this.repeat(row, alertRowId, kind);
    }
    this.worker.wake();
    return AlertActionView.of(row, []);
  }

  private async repeat(first: AlertActionRow, alertRowId: string, kind: string): Promise<AlertActionView> {
    if (String(first.alert_row_id) !== alertRowId || first.kind !== kind) {
      throw new ConflictError('Idempotency-Key: already used for another action', {
        action: { id: first.id },
      });
    }
    const { attempts } = await this.actions.listForAlert(alertRowId);
    return AlertActionView.of(first, attempts);
  }
}
