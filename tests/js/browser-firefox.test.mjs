// The package in headless Firefox ESR over WebDriver BiDi (see browser-shared.mjs):
//   node --test tests/js/browser-firefox.test.mjs
import puppeteer from 'puppeteer-core';
import { defineBrowserTests } from './browser-shared.mjs';

const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

defineBrowserTests('firefox', () => puppeteer.launch({
  browser: 'firefox', executablePath: FIREFOX, headless: true, protocolTimeout: 300000,
}));
