import { checkPasswordRules as checkPasswordPolicy } from './password-policy';

const policy = { minLength: 8, maxLength: 128, requireCharacterClasses: true, minScore: 0 };

describe('checkPasswordRules (PASSWORD_REQUIRE_CHARACTER_CLASSES=true)', () => {
  it('accepts a password meeting every rule', () => {
    expect(checkPasswordPolicy('Correct-Horse-7', policy)).toEqual([]);
    expect(checkPasswordPolicy('Ünïcødé-P4ss', policy)).toEqual([]);
  });

  it('lists every broken rule', () => {
    expect(checkPasswordPolicy('short', policy)).toEqual([
      'must be at least 8 characters',
      'must contain an upper-case letter',
      'must contain a digit',
      'must contain a symbol',
    ]);
    expect(checkPasswordPolicy('ALLUPPER123!', policy)).toEqual(['must contain a lower-case letter']);
    expect(checkPasswordPolicy('NoSymbols123', policy)).toEqual(['must contain a symbol']);
    expect(checkPasswordPolicy('No Digits here!', policy)).toEqual(['must contain a digit']);
  });

  it('bounds the length in characters, not bytes', () => {
    expect(checkPasswordPolicy('Aa1!' + 'x'.repeat(124), policy)).toEqual([]);
    expect(checkPasswordPolicy('Aa1!' + 'x'.repeat(125), policy)).toEqual(['must be at most 128 characters']);
    expect(checkPasswordPolicy('Aa1!ééé', policy)).toEqual(['must be at least 8 characters']);
  });

  it('follows a relaxed configuration', () => {
    const relaxed = { ...policy, minLength: 12, requireCharacterClasses: false };
    expect(checkPasswordPolicy('lowercase123', relaxed)).toEqual([]);
    expect(checkPasswordPolicy('lowercase12', relaxed)).toEqual(['must be at least 12 characters']);
  });
});

describe('checkPasswordRules (default: NIST, no composition rule)', () => {
  const nist = { minLength: 8, maxLength: 128, requireCharacterClasses: false, minScore: 3 };
  it('checks only the length, in code points after NFKC', () => {
    expect(checkPasswordPolicy('all lower case words', nist)).toEqual([]);
    expect(checkPasswordPolicy('ｆｕｌｌｗｉｄｔｈ', nist)).toEqual([]);
    expect(checkPasswordPolicy('𝓪𝓫𝓬𝓭𝓮𝓯𝓰', nist)).toEqual(['must be at least 8 characters']);
  });
});
