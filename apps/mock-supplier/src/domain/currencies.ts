export interface Currency {
  readonly code: string;
  /** Units per US dollar: a fixed, plausible rate (the mock needs realism, not today's market). */
  readonly perUsd: number;
  /** Fares are rounded to a multiple of this, as sellers in that currency quote them. */
  readonly step: number;
}

const currency = (code: string, perUsd: number, step: number): Currency => ({ code, perUsd, step });

/** The currency a fare is sold in, by the origin's country (point of sale). */
export const CURRENCY_BY_COUNTRY: Readonly<Record<string, Currency>> = {
  ID: currency('IDR', 16_000, 1_000),
  SG: currency('SGD', 1.35, 0.01),
  MY: currency('MYR', 4.5, 0.01),
  TH: currency('THB', 36, 1),
  PH: currency('PHP', 57, 1),
  VN: currency('VND', 25_000, 1_000),
  HK: currency('HKD', 7.8, 1),
  TW: currency('TWD', 32, 1),
  CN: currency('CNY', 7.2, 1),
  KR: currency('KRW', 1_350, 100),
  JP: currency('JPY', 150, 10),
  IN: currency('INR', 83, 1),
  AE: currency('AED', 3.67, 0.01),
  QA: currency('QAR', 3.64, 0.01),
  AU: currency('AUD', 1.52, 0.01),
  NZ: currency('NZD', 1.65, 0.01),
  GB: currency('GBP', 0.79, 0.01),
  FR: currency('EUR', 0.92, 0.01),
  DE: currency('EUR', 0.92, 0.01),
  NL: currency('EUR', 0.92, 0.01),
  US: currency('USD', 1, 0.01),
};

/** Converts a US dollar amount and rounds it to the currency's quoting step. */
export function priceIn(currencyOfSale: Currency, usd: number): number {
  const steps = Math.max(1, Math.round((usd * currencyOfSale.perUsd) / currencyOfSale.step));
  // Two decimals at most, without binary noise such as 129.99000000000001.
  return Number((steps * currencyOfSale.step).toFixed(2));
}
