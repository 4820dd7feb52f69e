import { Injectable } from '@nestjs/common';
import type { CallEvent } from './lacework.types';

type Listener = (event: CallEvent) => void;

/** Lets other modules (metrics) observe every Lacework call without reaching into the client. */
@Injectable()
export class LaceworkCallEvents {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: CallEvent): void {
    for (const listener of this.listeners) {
      listener(event);
    }
  }
}
