// What the test pages put on `window` (outlook/test/browser-fake-office.js and the Chromium
// drivers read and write them) and the classic script's global, for tsconfig.tests.json.
interface Window {
  __draft: any;
  __roaming: any;
  __handlers: Record<string, (event: any) => unknown>;
  __itemHandlers: Record<string, (event: any) => unknown>;
  __contextData: any;
  __session: Record<string, string>;
  Office: any;
}
declare var SendguardEngine: any;
