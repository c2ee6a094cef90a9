import { csvCell, toCsv } from './csv';

describe('the console CSV export', () => {
  it('quotes what needs quoting (RFC 4180) and leaves the rest as it is', () => {
    expect(csvCell('auth.login')).toBe('auth.login');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(csvCell({ reason: 'x', ids: [1, 2] })).toBe('"{""reason"":""x"",""ids"":[1,2]}"');
  });

  it('never lets a spreadsheet run a cell as a formula (attacker-chosen user agents, names, metadata)', () => {
    for (const evil of ['=HYPERLINK("http://evil","x")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      const cell = csvCell(evil);
      expect(cell.replace(/^"/, '').startsWith("'")).toBe(true);
    }
    expect(csvCell('-')).toBe("'-");
    expect(csvCell('user@example.com')).toBe('user@example.com');
  });

  it('writes a header and CRLF-terminated lines', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          [1, 'x'],
          [2, null],
        ],
      ),
    ).toBe('a,b\r\n1,x\r\n2,\r\n');
  });
});
