import { describe, expect, it, vi } from 'vitest';
import { developmentKey, developmentKeyRefused } from './encryption-keys.js';

const published = developmentKey('a published phrase');

describe('developmentKeyRefused', () => {
  it('refuses the development key where something is sealed under another key', async () => {
    const sealedOtherwise = vi.fn(() => Promise.resolve(true));
    await expect(
      developmentKeyRefused(
        { encryptionKey: published, encryptionKeyIsDevelopment: true },
        sealedOtherwise,
      ),
    ).resolves.toBe(true);
    expect(sealedOtherwise).toHaveBeenCalledWith(published.id);
  });

  it('lets the development key seal where nothing else ever did', async () => {
    await expect(
      developmentKeyRefused({ encryptionKey: published, encryptionKeyIsDevelopment: true }, () =>
        Promise.resolve(false),
      ),
    ).resolves.toBe(false);
  });

  it('never asks about a real key, nor where no key is set', async () => {
    const sealedOtherwise = vi.fn(() => Promise.resolve(true));
    for (const current of [
      { encryptionKey: published, encryptionKeyIsDevelopment: false },
      { encryptionKey: null, encryptionKeyIsDevelopment: false },
    ]) {
      await expect(developmentKeyRefused(current, sealedOtherwise)).resolves.toBe(false);
    }
    expect(sealedOtherwise).not.toHaveBeenCalled();
  });
});
