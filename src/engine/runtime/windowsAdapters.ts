// On Windows both DirectML and Dawn (WebGPU over D3D12) run on any DXGI adapter, and DXGI
// always lists WARP, Microsoft's CPU rasteriser, last. Each takes a real GPU first when one
// exists (DirectML's device 0 is DXGI's first adapter; Dawn orders CPU adapters last), so the
// question is only whether the machine has a GPU at all, which Windows' list of display
// controllers answers without loading either.
import { spawnSync } from 'node:child_process';

export interface DisplayAdapter {
  name: string;
  /** Plug and Play id: PCI\VEN_… for a GPU on the bus. */
  deviceId: string;
}

/** Display drivers that draw without a GPU: Windows' own fallback, remote and virtual displays. */
const NOT_A_GPU = /Microsoft Basic (Display|Render)|Microsoft Remote Display|Hyper-V Video|Indirect Display|Virtual Display/i;

/** A GPU: a device on the PCI bus (or an SoC's GPU on ACPI, as on Arm laptops) that is not a fallback display. */
export function isHardwareAdapter(adapter: DisplayAdapter): boolean {
  return !NOT_A_GPU.test(adapter.name) && /^(PCI|ACPI)\\/i.test(adapter.deviceId);
}

/** The display controllers Windows knows, or undefined when it could not be asked. */
export function windowsDisplayAdapters(): DisplayAdapter[] | undefined {
  const result = spawnSync(
    'powershell.exe',
    [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      'Get-CimInstance -ClassName Win32_VideoController | ForEach-Object { $_.Name + "|" + $_.PNPDeviceID }',
    ],
    { encoding: 'utf8', timeout: 10_000, windowsHide: true },
  );
  if (result.status !== 0 || typeof result.stdout !== 'string') return undefined;
  return parseAdapterLines(result.stdout);
}

export function parseAdapterLines(text: string): DisplayAdapter[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.includes('|'))
    .map((line) => {
      const at = line.lastIndexOf('|');
      return { name: line.slice(0, at).trim(), deviceId: line.slice(at + 1).trim() };
    });
}
