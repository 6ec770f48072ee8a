import type { DeliveredMessage } from '../ports/bus-message.js';
import type { MessageHandler } from '../ports/bus-subscriber.js';

/** A stage's message handler: pure of transport concerns, given its dependencies explicitly. */
export type Handler<D> = (message: DeliveredMessage, deps: D) => Promise<void>;

/** Wraps a handler with cross-cutting behaviour (logging, retries, dead letters). */
export type Middleware<D> = (next: Handler<D>) => Handler<D>;

/** Applies middleware outermost-first and binds the dependencies, giving the bus a plain handler. */
export function route<D>(handler: Handler<D>, deps: D, ...middleware: Array<Middleware<D>>): MessageHandler {
  const wrapped = middleware.reduceRight<Handler<D>>((next, mw) => mw(next), handler);
  return (message) => wrapped(message, deps);
}
