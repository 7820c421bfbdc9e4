import { type LedgerResource, LedgerWriter, ledgerKey } from '../record/ledger.js';

/** Write `gone` for resources a caller removed itself after the run (the local target it started). */
export function markGone(recordDir: string, resources: readonly LedgerResource[], detail: string): void {
  const ledger = LedgerWriter.open(recordDir, { header: false });
  try {
    for (const r of resources) ledger.gone(ledgerKey(r), detail);
  } finally {
    ledger.close();
  }
}
