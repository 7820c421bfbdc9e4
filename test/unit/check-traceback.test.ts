import { describe, expect, it } from 'vitest';
import { bindsName, cellError, errorLine, isConsequence, stripAnsi } from '../../loadgen/check/traceback.js';

const ESC = String.fromCharCode(27);

// The traceback ipykernel 6.17 / IPython 8.5 (Debian 12) sends for `df.append(...)` on line 3.
const IPY85 = [
  `${ESC}[0;31m---------------------------------------------------------------------------${ESC}[0m`,
  `${ESC}[0;31mAttributeError${ESC}[0m                            Traceback (most recent call last)`,
  `Cell ${ESC}[0;32mIn [2], line 3${ESC}[0m\n${ESC}[1;32m      1${ESC}[0m readings ${ESC}[38;5;241m=${ESC}[39m pd.DataFrame()\n${ESC}[0;32m----> 3${ESC}[0m combined ${ESC}[38;5;241m=${ESC}[39m readings.append(late)\n`,
  `File ${ESC}[0;32m/usr/lib/python3/dist-packages/pandas/core/generic.py:5575${ESC}[0m, in ${ESC}[0;36mNDFrame.__getattr__${ESC}[0;34m(self, name)${ESC}[0m\n`,
  `${ESC}[0;31mAttributeError${ESC}[0m: 'DataFrame' object has no attribute 'append'`,
];

describe('reading a kernel error', () => {
  it('strips ANSI colour codes', () => {
    expect(stripAnsi(IPY85[4] as string)).toBe(
      "AttributeError: 'DataFrame' object has no attribute 'append'",
    );
  });

  it('finds the raising line of the cell in IPython 8.5, 8.x and 7 tracebacks', () => {
    expect(errorLine(IPY85.map(stripAnsi))).toBe(3);
    expect(errorLine(['---', 'Cell In[12], line 7\n----> 7 x'])).toBe(7);
    expect(errorLine(['<ipython-input-4-0a1b2c3d4e5f> in <module>\n      1 a = 1\n----> 2 b()\n'])).toBe(2);
    expect(errorLine(['  File "x.py", line 9', 'ValueError: v'])).toBeUndefined();
    // IPython 8.35 / ipykernel 6.29 (Debian 13) when the error passes through pandas' frames (as sent).
    const ipy835 = [
      'AttributeError                            Traceback (most recent call last)',
      "/tmp/ipykernel_31937/4154744712.py in ?()\n      1 readings = pd.DataFrame({'station': ['a', 'b']})\n      2 late = 1\n----> 3 combined = readings.append(late, ignore_index=True)\n      4 print(len(combined))\n",
      '/usr/lib/python3/dist-packages/pandas/core/generic.py in ?(self, name)\n   6298             return self[name]\n-> 6299         return object.__getattribute__(self, name)\n',
      "AttributeError: 'DataFrame' object has no attribute 'append'",
    ];
    expect(errorLine(ipy835)).toBe(3);
  });

  it('records the line text, the last frames and no ANSI', () => {
    const source = 'readings = pd.DataFrame()\nlate = 1\ncombined = readings.append(late)\n';
    const e = cellError({ ename: 'AttributeError', evalue: 'no append', traceback: IPY85 }, source);
    expect(e.line).toBe(3);
    expect(e.lineText).toBe('combined = readings.append(late)');
    expect(e.traceback).toHaveLength(4);
    expect(e.traceback.join('')).not.toContain(ESC);
    expect(e.traceback.at(-1)).toBe("AttributeError: 'DataFrame' object has no attribute 'append'");
  });
});

describe('cause or consequence', () => {
  const failed = { outcome: 'error' as const };
  const ok = { outcome: 'ok' as const };

  it('a NameError for a name an earlier failed cell binds is a consequence', () => {
    const earlier = [{ cell: failed, source: 'combined = readings.append(late)' }];
    expect(isConsequence({ ename: 'NameError', evalue: "name 'combined' is not defined" }, earlier)).toBe(
      true,
    );
  });

  it('not when the binding cell ran fine, the name is unrelated, or the error is another one', () => {
    const bound = 'combined = readings.append(late)';
    expect(
      isConsequence({ ename: 'NameError', evalue: "name 'combined' is not defined" }, [
        { cell: ok, source: bound },
      ]),
    ).toBe(false);
    expect(
      isConsequence({ ename: 'NameError', evalue: "name 'other' is not defined" }, [
        { cell: failed, source: bound },
      ]),
    ).toBe(false);
    expect(
      isConsequence({ ename: 'AttributeError', evalue: "name 'combined'" }, [
        { cell: failed, source: bound },
      ]),
    ).toBe(false);
  });

  it('knows the ways Python binds a name', () => {
    expect(bindsName('import numpy as np', 'np')).toBe(true);
    expect(bindsName('import xarray', 'xarray')).toBe(true);
    expect(bindsName('from a import b, c', 'c')).toBe(true);
    expect(bindsName('x, y = 1, 2', 'y')).toBe(true);
    expect(bindsName('total: int = 3', 'total')).toBe(true);
    expect(bindsName('def load(path):\n  pass', 'load')).toBe(true);
    expect(bindsName('for k, v in d.items():\n  pass', 'v')).toBe(true);
    expect(bindsName('if x == 3:\n  pass', 'x')).toBe(false);
    expect(bindsName('print(x)', 'x')).toBe(false);
  });
});
