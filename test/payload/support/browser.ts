/*
 * Debian's chromium (/usr/bin/chromium, never a browser download) through playwright-core, headless,
 * in a throw-away profile: the one launch the payload's browser tests share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  /** Closes chromium and deletes its profile. */
  close(): Promise<void>;
}

/** A persistent context that accepts the tests' self-signed certificates; `extraArgs` go after the shared flags. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...FLAGS, ...extraArgs],
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 900 },
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
