// Offline model delivery in headless Chromium (see browser-offline.mjs):
//   node --test tests/service-worker/browser-chromium.test.mjs
import puppeteer from 'puppeteer-core';
import { defineOfflineTests } from './browser-offline.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
defineOfflineTests('chromium', () => puppeteer.launch({
  executablePath: CHROMIUM, headless: true, protocolTimeout: 300000,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions'],
}));
