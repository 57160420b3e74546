// The package in headless Chromium (see browser-shared.mjs):  node --test tests/js/browser-chromium.test.mjs
import puppeteer from 'puppeteer-core';
import { defineBrowserTests } from './browser-shared.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

defineBrowserTests('chromium', () => puppeteer.launch({
  executablePath: CHROMIUM, headless: true, protocolTimeout: 300000,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions'],
}));
