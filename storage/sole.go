package storage

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/heraldhq/herald"
)

// lockSole takes the exclusive lock of a SQLite database file for this
// process: flock on "<file>.lock", which the kernel releases when the
// process dies, however it dies. The file holds the holder's pid, for the
// message another process gets.
func lockSole(file string) (*os.File, error) {
	path := file + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
					holder = fmt.Sprintf("another herald (pid %d)", pid)
				}
			}
			return nil, herald.Errorf(herald.ECONFLICT, "%s is already serving the SQLite database %s; "+
				"on SQLite Herald runs as one process — stop the other one, or use PostgreSQL to run several", holder, file)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
