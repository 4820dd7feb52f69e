import { AsyncLocalStorage } from 'node:async_hooks';

/** Which sync run (if any) the Lacework calls made inside `runWithCallContext` belong to. */
export interface CallContext {
  runId: string;
}

const storage = new AsyncLocalStorage<CallContext>();

export function runWithCallContext<T>(context: CallContext, work: () => Promise<T>): Promise<T> {
  return storage.run(context, work);
}

export function currentCallContext(): CallContext | undefined {
  return storage.getStore();
}
