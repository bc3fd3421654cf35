package dbtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// ServerOptions configure [StartServer].
type ServerOptions struct {
	// Durable keeps fsync on, for benchmarks that measure commits. Tests run
	// with fsync off: a throwaway server needs no crash safety.
	Durable bool
}

// Server is a throwaway PostgreSQL server listening only on a unix socket in
// a temporary directory.
type Server struct {
	dir   string // socket directory; data in dir/data
	bin   string // directory holding initdb, pg_ctl, postgres
	cred  *syscall.Credential
	admin *sql.DB
}

// StartServer initializes and starts a new server. It is ready in about a
// second.
func StartServer(opts ServerOptions) (*Server, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	// Unix socket paths are limited to 107 bytes: keep the directory short.
	dir, err := os.MkdirTemp("", "pgt")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if s.cred, err = postgresUser(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync",
		"-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	serverOpts := fmt.Sprintf("-k %s -c listen_addresses='' -c max_connections=200 -c shared_buffers=128MB", dir)
	if !opts.Durable {
		serverOpts += " -F -c synchronous_commit=off -c full_page_writes=off"
	}
	if err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60",
		"-o", serverOpts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	s.admin, err = sql.Open("pgx", s.DSN("postgres"))
	if err == nil {
		err = s.admin.PingContext(context.Background())
	}
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("connect to throwaway postgres: %w", err)
	}
	return s, nil
}

// DSN returns the DSN of the named database on s.
func (s *Server) DSN(dbname string) string {
	return fmt.Sprintf("host=%s user=postgres dbname=%s sslmode=disable", s.dir, dbname)
}

// Bin returns the path of a PostgreSQL program (pgbench, psql…) beside the
// server's own.
func (s *Server) Bin(name string) string { return filepath.Join(s.bin, name) }

// CreateDatabase creates an empty database and returns its DSN.
func (s *Server) CreateDatabase(name string) (string, error) {
	if _, err := s.admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE template0 STRATEGY FILE_COPY`); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return s.DSN(name), nil
}

// DropDatabase drops a database, disconnecting its clients.
func (s *Server) DropDatabase(name string) error {
	_, err := s.admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	return err
}

// Stop stops the server and removes its files.
func (s *Server) Stop() error {
	if s.admin != nil {
		s.admin.Close()
	}
	err := s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	return errors.Join(err, os.RemoveAll(s.dir))
}

func (s *Server) run(prog string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, prog), args...)
	cmd.Dir = s.dir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", prog, err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", prog, err, out.String())
		}
		return nil
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		return fmt.Errorf("%s: timed out\n%s", prog, out.String())
	}
}

// findBinDir finds the newest PostgreSQL server install: Debian keeps it in
// /usr/lib/postgresql/N/bin, other systems put it on PATH.
func findBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) && isFile(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server found (initdb, pg_ctl, postgres): on Debian, apt-get install postgresql")
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// postgresUser returns the credentials of the postgres OS user, creating it
// when missing: initdb and postgres refuse to run as root.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		if out, err := exec.Command("useradd", "--system", "--no-create-home", "postgres").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("useradd postgres: %w: %s", err, out)
		}
		if u, err = user.Lookup("postgres"); err != nil {
			return nil, err
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
