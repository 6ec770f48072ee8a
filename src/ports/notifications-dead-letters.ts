import type { Notification } from '../core/notification.js';

/**
 * NotificationsDeadLetters: webhook notifications that failed past their attempts (or were
 * answered 410 Gone), for an operator to list, replay or discard. Each write is atomic and
 * conditional on `dead`, so a repeat changes nothing.
 */
export interface NotificationsDeadLetters {
  /** Up to `limit` dead notifications of `ready`/`failed` jobs, oldest death first. A read. */
  listDeadNotifications(limit: number): Promise<Notification[]>;
  /**
   * Makes a dead notification `pending` again, due at `at`, attempts reset, `dead_at` cleared, so a
   * notifier claims it. Conditional on `dead`: a repeat returns `false`. Returns whether it changed.
   */
  replayNotification(jobId: string, at: Date): Promise<boolean>;
  /** Sets a dead notification `discarded` (final). Conditional on `dead`: a repeat returns `false`. Returns whether it changed. */
  discardNotification(jobId: string): Promise<boolean>;
  /**
   * Sets every notification dead before `deadBefore` `discarded` (retention). Idempotent. Returns
   * how many changed. A job that ends again (a replayed result) gets a new notification all the same.
   */
  purgeDeadNotifications(deadBefore: Date): Promise<number>;
}
