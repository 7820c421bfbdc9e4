/** What the runner reports about itself once a second, for terminal progress (stderr). */
export interface ProgressSnapshot {
  /** ms since the run's start. */
  t: number;
  planned: number;
  arrived: number;
  /** Users between click and server ready. */
  launching: number;
  /** Users with a server (kernel starting, in cells, thinking or idling). */
  ready: number;
  /** Users running a cell right now. */
  inCells: number;
  completed: number;
  failed: number;
  /** p95 of launch.ready over the run so far, ms; null before the first ready. */
  launchReadyP95: number | null;
  /** Arrivals started more than LATE_ARRIVAL_MS late so far. */
  late: number;
}

/** Presentation subscribes to the run (STYLE.md: reporters subscribe). */
export interface RunReporter {
  onProgress?(p: ProgressSnapshot): void;
  onMessage?(line: string): void;
}
