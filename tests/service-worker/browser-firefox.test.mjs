// Offline model delivery in headless Firefox ESR over WebDriver BiDi (see browser-offline.mjs):
//   node --test tests/service-worker/browser-firefox.test.mjs
import puppeteer from 'puppeteer-core';
import { defineOfflineTests } from './browser-offline.mjs';

const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';
defineOfflineTests('firefox', () => puppeteer.launch({
  browser: 'firefox', executablePath: FIREFOX, headless: true, protocolTimeout: 300000,
}));
