package bank_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
)

// TestMigration0007KeepsReversals: the migration that adds armed
// reversals (a table rebuild on SQLite, a constraint swap on PostgreSQL)
// keeps the rows already queued, gives them an empty client_ref, and
// afterwards accepts the new states and nothing else.
func TestMigration0007KeepsReversals(t *testing.T) {
	t.Parallel()
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := "sqlite:" + t.TempDir() + "/old.db"
			if engine == db.Postgres {
				dsn = dbtest.PostgresDSN(t)
			}
			d, err := db.Open(ctx, dsn, db.Options{NoMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			ms, err := db.Migrations(engine)
			if err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) error {
				_, err := d.ExecRaw(ctx, q, args...)
				return err
			}
			insert := func(id, stan, state string) error {
				return exec(`INSERT INTO bank_reversals (id, bank, acquirer_id, original_mti, original_stan, original_time, rrn,
	processing_code, amount_minor, currency, terminal_id, merchant_id, reason_code, state, attempts, next_attempt_ms, created_at)
VALUES (?, 'icbc', '48020000', '0200', ?, '1125093000', 'r', '000000', 100, '156', 'T', 'M', '68', ?, 0, 1, ?)`,
					id, stan, state, time.Now().UTC())
			}
			var m0007 string
			for _, m := range ms {
				switch {
				case m.Version < 7:
					if err := exec(m.SQL); err != nil {
						t.Fatalf("%s: %v", m.Name, err)
					}
				case m.Version == 7:
					m0007 = m.SQL
				}
			}
			if err := insert("rev_old1", "000001", "pending"); err != nil {
				t.Fatal(err)
			}
			if err := insert("rev_old2", "000002", "reversed"); err != nil {
				t.Fatal(err)
			}
			if err := insert("rev_early", "000003", "armed"); err == nil {
				t.Fatal("0002's schema accepted an armed row")
			}
			if m0007 == "" {
				t.Fatal("no migration 0007")
			}
			if err := exec(m0007); err != nil {
				t.Fatalf("0007: %v", err)
			}
			var n int
			if err := d.QueryRow(ctx, `SELECT count(*) FROM bank_reversals
WHERE (id = 'rev_old1' AND state = 'pending' OR id = 'rev_old2' AND state = 'reversed') AND client_ref = ''`).Scan(&n); err != nil || n != 2 {
				t.Fatalf("rows kept: %d, %v; want 2", n, err)
			}
			for i, state := range []string{"armed", "void"} {
				if err := insert("rev_new"+state, "00001"+string(rune('0'+i)), state); err != nil {
					t.Fatalf("state %s refused: %v", state, err)
				}
			}
			if err := insert("rev_bogus", "000020", "bogus"); err == nil {
				t.Fatal("state bogus accepted")
			}
			if err := insert("rev_dup", "000001", "armed"); err == nil {
				t.Fatal("unique (bank, acquirer, STAN, field 7) lost")
			}
			if err := exec(`UPDATE bank_reversals SET client_ref = ? WHERE id = 'rev_old1'`, strings.Repeat("x", 65)); err == nil {
				t.Fatal("a 65-character client_ref was accepted")
			}
			indexes := `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bank_reversals' AND name IN (?, ?, ?)`
			if engine == db.Postgres {
				indexes = `SELECT count(*) FROM pg_indexes WHERE tablename = 'bank_reversals' AND indexname IN (?, ?, ?)`
			}
			if err := d.QueryRow(ctx, indexes, "bank_reversals_due", "bank_reversals_rrn", "bank_reversals_client_ref").Scan(&n); err != nil || n != 3 {
				t.Fatalf("%d of the 3 indexes after 0007 (%v)", n, err)
			}
		})
	}
}
