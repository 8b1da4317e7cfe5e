/**
 * Test helpers (not part of the public surface) for asserting on {@link IpqsecError}s: what a call throws, with
 * anything that is not the expected error rethrown so that the test shows it.
 */
import { isIpqsecError, type ErrorCode, type IpqsecError } from './errors.js';

/** The IpqsecError `f` throws (of `code` when given), or undefined when it returns; any other throw is rethrown. */
export function catchIpqsec(f: () => unknown, code?: ErrorCode): IpqsecError | undefined {
  try {
    f();
  } catch (e) {
    if (isIpqsecError(e, code)) return e;
    throw e;
  }
  return undefined;
}

/** As {@link catchIpqsec}, but returning without throwing fails. */
export function expectIpqsec(f: () => unknown, code?: ErrorCode): IpqsecError {
  const e = catchIpqsec(f, code);
  if (e === undefined) throw new Error(`expected ${code ?? 'an IpqsecError'}`);
  return e;
}

/** The IpqsecError `f` rejects with (of `code` when given); resolving fails, any other rejection is rethrown. */
export async function expectIpqsecRejection(f: () => Promise<unknown>, code?: ErrorCode): Promise<IpqsecError> {
  try {
    await f();
  } catch (e) {
    if (isIpqsecError(e, code)) return e;
    throw e;
  }
  throw new Error(`expected ${code ?? 'an IpqsecError'}`);
}
