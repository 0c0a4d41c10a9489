export const PROVIDER_CHOICES = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];
export type ProviderName = Exclude<ProviderChoice, 'auto'>;

/** A provider that was not used, and why: left out by `auto`, or tried and failed to load. */
export interface ProviderSkip {
  provider: ProviderName;
  reason: string;
}

/** Which provider runs a model and what was passed over on the way; shown to users and kept in recipes. */
export interface ProviderReport {
  choice: ProviderChoice;
  /** The UNet's provider (the others follow it unless one failed to load there). */
  provider: ProviderName;
  skipped: ProviderSkip[];
}

/** "webgpu (auto; not cuda: not installed)" — one line for logs, tooltips and recipes' text. */
export function describeProviderReport(report: ProviderReport): string {
  const passed = report.skipped.map((s) => `not ${s.provider}: ${s.reason}`);
  return `${report.provider} (${[report.choice, ...passed].join('; ')})`;
}
