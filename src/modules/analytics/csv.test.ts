import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toCsv } from './csv.js';

describe('analytics CSV', () => {
  it('flattens nested fields, quotes line breaks (no row can be smuggled in) and defuses formulas', () => {
    const csv = toCsv([
      { id: 1, title: 'Gala\n=HYPERLINK("http://x","y")', revenue: { net: '10.00' } },
      { id: 2, title: '=1+1', revenue: null },
    ]);
    assert.equal(csv, 'id,title,revenue_net\r\n1,"Gala\n=HYPERLINK(""http://x"",""y"")",10.00\r\n2,\'=1+1,\r\n');
    assert.equal(toCsv([]), '');
  });
});
