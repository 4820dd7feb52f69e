import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain.errors';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, toPage } from '../common/pagination';
import { DeliveryRepository } from './delivery.repository';
import { canTransition, replay, requeue } from './delivery-state';
import { DeliveryAttemptView, DeliveryDetailView, DeliveryView } from './delivery.view';
import { DeliveryWorker } from './delivery.worker';
import { DestinationsService } from './destinations.service';
import { ListDeliveriesQueryDto, ReplayDto, ReplayView } from './dto/deliveries.dto';

/** Reading deliveries and acting on them by hand: retry one, replay many, redeliver an alert. */
@Injectable()
export class DeliveriesService {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly destinations: DestinationsService,
    private readonly worker: DeliveryWorker,
  ) {}

  async list(query: ListDeliveriesQueryDto): Promise<Page<DeliveryView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = decodeCursor(query.cursor, ['date', 'uuid']);
    const rows = await this.deliveries.list(
      {
        state: query.state ?? null,
        integrationId: query.integrationId ?? null,
        destinationId: query.destinationId ?? null,
      },
      limit + 1,
      before,
    );
    return toPage(rows, limit, DeliveryView.of, (r) => [r.created_at.toISOString(), r.id]);
  }

  async get(id: string): Promise<DeliveryDetailView> {
    const row = await this.deliveries.find(id);
    if (row === null) {
      throw new NotFoundError(`delivery ${id} not found`);
    }
    const attempts = await this.deliveries.attemptsOf(id);
    return { ...DeliveryView.of(row), attemptLog: attempts.map(DeliveryAttemptView.of) };
  }

  async retry(id: string): Promise<DeliveryView> {
    const existing = await this.deliveries.find(id);
    if (existing === null) {
      throw new NotFoundError(`delivery ${id} not found`);
    }
    if (!canTransition(existing.state, 'pending')) {
      throw new ConflictError(`delivery ${id} is ${existing.state}: a newer version replaced it`);
    }
    const row = await this.deliveries.requeue(id, existing, requeue(existing));
    if (row === null) {
      throw new ConflictError(`delivery ${id} changed while being queued again; try again`);
    }
    this.worker.kick();
    return DeliveryView.of(row);
  }

  async replay(dto: ReplayDto): Promise<ReplayView> {
    if (!(await this.destinations.exists(dto.destinationId))) {
      throw new NotFoundError(`destination ${dto.destinationId} not found`);
    }
    const since = new Date(dto.since);
    const until = dto.until === undefined ? null : new Date(dto.until);
    if (until !== null && until <= since) {
      throw new InvalidInputError('until', 'must be after since');
    }
    if (dto.dryRun === true) {
      return {
        queued: 0,
        matched: await this.deliveries.countReplayable(dto.destinationId, dto.state, since, until),
      };
    }
    const to = replay({ state: dto.state, attempts: 0 });
    const queued = await this.deliveries.replay(dto.destinationId, dto.state, to, since, until);
    this.worker.kick();
    return { queued, matched: queued };
  }

  async redeliverAlert(alertRowId: string): Promise<DeliveryView> {
    if (!(await this.deliveries.alertExists(alertRowId))) {
      throw new NotFoundError(`alert ${alertRowId} not found`);
    }
    const latest = await this.deliveries.latestForAlert(alertRowId);
    if (latest.length === 0) {
      throw new ConflictError(`alert ${alertRowId} has no delivery yet (not assembled, filtered or gone)`);
    }
    // Every destination the newest version went to gets it again; the answer shows the first.
    const views: DeliveryView[] = [];
    for (const delivery of latest) {
      views.push(await this.retry(delivery.id));
    }
    return views[0];
  }
}
