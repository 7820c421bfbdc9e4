import { RealClock } from '../clock.js';

/**
 * The run clock of a distributed run: 0 is the common start `startAt` (wall-clock ms since the
 * epoch, chosen by the coordinator a little in the future), so every worker's arrival offsets and
 * interval starts (k·10 s) mean the same instants. Before the start `now()` is negative. A worker
 * that comes up after the start begins with now() > 0: its first arrivals are due already and are
 * run at once, their lateness recorded as generator.lag and arrival.late, as for a saturated
 * generator. A RealClock whose origin is `startAt`: monotonic after construction, the wall clock
 * read once, so the hosts' clock sync (NTP) bounds how well workers agree.
 */
export class EpochClock extends RealClock {
  constructor(startAt: number) {
    super(startAt);
  }
}
