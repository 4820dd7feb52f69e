import { Module } from '@nestjs/common';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesService } from './deliveries.service';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryWorker } from './delivery.worker';
import { DestinationRepository } from './destination.repository';
import { DestinationsController } from './destinations.controller';
import { DestinationsService } from './destinations.service';
import { DestinationSenders, SENDER_CLASSES } from './senders/destination-kinds';

@Module({
  controllers: [DestinationsController, DeliveriesController],
  providers: [
    DestinationRepository,
    DestinationsService,
    DeliveryRepository,
    DeliveriesService,
    DeliveryWorker,
    ...SENDER_CLASSES,
    DestinationSenders,
  ],
  exports: [DeliveryWorker, DestinationsService],
})
export class DeliveryModule {}
