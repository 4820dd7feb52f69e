import { Module } from '@nestjs/common';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesService } from './deliveries.service';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryWorker } from './delivery.worker';
import { DestinationRepository } from './destination.repository';
import { DestinationsController } from './destinations.controller';
import { DestinationsService } from './destinations.service';
import { DestinationSenders } from './senders/destination-kinds';
import { WebhookSender } from './senders/webhook.sender';

@Module({
  controllers: [DestinationsController, DeliveriesController],
  providers: [
    DestinationRepository,
    DestinationsService,
    DeliveryRepository,
    DeliveriesService,
    DeliveryWorker,
    WebhookSender,
    DestinationSenders,
  ],
  exports: [DeliveryWorker, DestinationsService],
})
export class DeliveryModule {}
