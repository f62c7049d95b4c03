package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"
)

const secretFile = "secret.key"

// secretKeyHelp is how help describes HERALD_SECRET_KEY, the one setting
// that is no flag (a key does not belong on a command line).
const secretKeyHelp = `  HERALD_SECRET_KEY
      32 bytes, base64: the key that encrypts channel credentials (default: generated once into <data-dir>/secret.key)
`

// loadSecretKey returns the 32-byte key that encrypts channel credentials:
// HERALD_SECRET_KEY (base64) when set, else <dataDir>/secret.key, generated
// once with 0600 permissions (and a log line saying so) when missing.
func loadSecretKey(dataDir string, log zerolog.Logger) ([]byte, error) {
	if v := strings.TrimSpace(os.Getenv("HERALD_SECRET_KEY")); v != "" {
		key, err := decodeKey(v)
		if err != nil {
			return nil, fmt.Errorf("HERALD_SECRET_KEY: %w", err)
		}
		return key, nil
	}
	path := filepath.Join(dataDir, secretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := decodeKey(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return key, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read secret key: %w", err)
	}

	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	// O_EXCL: two processes starting at once must not each write a different key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadSecretKey(dataDir, log)
	} else if err != nil {
		return nil, fmt.Errorf("write secret key: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write secret key: %w", err)
	}
	log.Warn().Str("path", path).Msg("generated a new secret key for channel credentials; back it up with the database (or set HERALD_SECRET_KEY)")
	return key, nil
}

func decodeKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("must decode to 32 bytes, got %d", len(key))
	}
	return key, nil
}
