// Money for people: integer minor units shown with their currency's ISO 4217 minor unit, from
// the currency-codes package (ISO's published list; JPY 0, EUR 2, BHD 3). Not Intl.NumberFormat:
// its digits come from CLDR, which differs from ISO 4217 for a few currencies. Amounts read
// "8,816,920 JPY", "1,234.56 EUR", "-1.234 BHD", the same as the Python side
// (orders_contracts.money) and the projector's timeline, in every locale.
import { code as currencyCode } from "currency-codes";

import type { Money } from "../gen/orders/v1/types_pb.js";

// Codes ISO does not list are shown as the hundredths most currencies use.
export const FALLBACK_MINOR_UNITS = 2;

/** How many decimals the currency's minor unit has: 0 for JPY, 2 for EUR, 3 for BHD. */
export function minorUnits(currency: string): number {
  return currencyCode(currency.toUpperCase())?.digits ?? FALLBACK_MINOR_UNITS;
}

export function formatAmount(amountMinor: bigint | number | string, currency: string): string {
  const amount = BigInt(amountMinor);
  const decimals = minorUnits(currency);
  const sign = amount < 0n ? "-" : "";
  const digits = (amount < 0n ? -amount : amount).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : "";
  return `${sign}${whole}${fraction} ${currency}`;
}

/** The exact amount: a sum can pass int64, where amountMinor saturates (types.proto). */
export function exactMinor(money: Money): bigint {
  return money.amountMinorDecimal ? BigInt(money.amountMinorDecimal) : money.amountMinor;
}

/** "8,816,920 JPY", "12.50 EUR"; "-" for an unset Money. */
export function formatMoney(money: Money | undefined): string {
  if (money === undefined || !money.currencyCode) {
    return "-";
  }
  return formatAmount(exactMinor(money), money.currencyCode);
}

/** Minor units of an amount in major units ("12.50" EUR is 1250n); refuses finer amounts. */
export function toMinor(amount: string, currency: string): bigint {
  const decimals = minorUnits(currency);
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (match === null) {
    throw new RangeError(`not an amount: ${amount}`);
  }
  const [, sign = "", whole = "0", fraction = ""] = match;
  const significant = fraction.replace(/0+$/, "");
  if (significant.length > decimals) {
    throw new RangeError(`${amount} ${currency} is finer than the currency's minor unit`);
  }
  const minor = BigInt(whole + fraction.padEnd(decimals, "0").slice(0, decimals));
  return sign === "-" ? -minor : minor;
}

/** A Money init from an amount in major units: toMoney("12.50", "EUR"). */
export function toMoney(amount: string, currency: string): { currencyCode: string; amountMinor: bigint } {
  return { currencyCode: currency, amountMinor: toMinor(amount, currency) };
}
