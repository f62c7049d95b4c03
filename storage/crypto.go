package storage

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/heraldhq/herald"
)

// Channel credentials are sealed as one JSON object with AES-256-GCM:
// blob = version byte 1 || 12-byte random nonce || ciphertext+tag.
// The version byte leaves room for key rotation.

const sealVersion = 1

// credentialsAD binds a sealed blob to its purpose.
var credentialsAD = []byte("herald/channel-credentials/v1")

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, herald.Errorf(herald.EINVALID, "the secret key must be 32 bytes (AES-256), got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal encrypts credentials; nil or empty credentials are stored as NULL.
func (db *DB) seal(creds map[string]string) ([]byte, error) {
	if len(creds) == 0 {
		return nil, nil
	}
	plain, err := json.Marshal(creds)
	if err != nil {
		return nil, fmt.Errorf("encode credentials: %w", err)
	}
	nonce := make([]byte, db.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	out := append([]byte{sealVersion}, nonce...)
	return db.aead.Seal(out, nonce, plain, credentialsAD), nil
}

// open decrypts a sealed blob; NULL gives nil.
func (db *DB) open(blob []byte) (map[string]string, error) {
	if len(blob) == 0 {
		return nil, nil
	}
	ns := db.aead.NonceSize()
	if blob[0] != sealVersion || len(blob) < 1+ns+db.aead.Overhead() {
		return nil, errors.New("credentials: unknown sealed format")
	}
	plain, err := db.aead.Open(nil, blob[1:1+ns], blob[1+ns:], credentialsAD)
	if err != nil {
		return nil, errors.New("credentials: cannot decrypt (was the secret key changed?)")
	}
	var creds map[string]string
	if err := json.Unmarshal(plain, &creds); err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	return creds, nil
}
