export const PROVIDER_CHOICES = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];
export type ProviderName = Exclude<ProviderChoice, 'auto'>;
