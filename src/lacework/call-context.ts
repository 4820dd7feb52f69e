import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the Lacework calls made inside `runWithCallContext` are for: the sync run they belong to, and how urgent they
 * are when the request budget is short (lower first: listing 0, then scopes by severity rank).
 */
export interface CallContext {
  runId?: string;
  priority?: number;
}

const storage = new AsyncLocalStorage<CallContext>();

export function runWithCallContext<T>(context: CallContext, work: () => Promise<T>): Promise<T> {
  return storage.run(context, work);
}

export function currentCallContext(): CallContext | undefined {
  return storage.getStore();
}
