package main

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/spf13/pflag"

	"paygate/internal/db"
)

// Config is everything paygate reads from its environment. Each field is set
// by a flag, else by its PAYGATE_* variable, else by its default.
type Config struct {
	// DB is the database DSN: a SQLite path ("sqlite:/var/lib/paygate.db")
	// or a PostgreSQL URL ("postgres://user:pass@host/paygate"). Empty means
	// the SQLite file paygate.db in DataDir.
	DB string `env:"DB"`
	// DataDir holds the embedded database and other local state.
	DataDir string `env:"DATA_DIR" envDefault:"data"`
	// Addr is where serve listens.
	Addr string `env:"ADDR" envDefault:"127.0.0.1:8080"`
	// PublicURL is how payers' browsers and merchants reach the gateway
	// (cashier URLs are built on it); empty means http://ADDR.
	PublicURL string `env:"PUBLIC_URL"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
	// LogFormat is text or json.
	LogFormat string `env:"LOG_FORMAT" envDefault:"text"`

	// SMTP delivers the gateway's email (activation, password reset,
	// pay-to-email invitations). With no host, email waits in the outbox
	// (and shows in the demo's mailbox) until a server is configured.
	SMTPHost     string `env:"SMTP_HOST"`
	SMTPPort     int    `env:"SMTP_PORT" envDefault:"587"`
	SMTPUsername string `env:"SMTP_USERNAME"`
	SMTPPassword string `env:"SMTP_PASSWORD"`
	SMTPFrom     string `env:"SMTP_FROM" envDefault:"paygate <no-reply@paygate.localhost>"`
	// SMTPTLS is mandatory (STARTTLS or fail), opportunistic or none.
	SMTPTLS string `env:"SMTP_TLS" envDefault:"mandatory"`

	// AccountPayLimit and AccountDayLimit cap payments from an account
	// balance, per payment and per account per day (China time), in yuan;
	// 0 means no limit.
	AccountPayLimit string `env:"ACCOUNT_PAY_LIMIT" envDefault:"50000.00"`
	AccountDayLimit string `env:"ACCOUNT_DAY_LIMIT" envDefault:"200000.00"`
	// ClaimPeriod is how long money paid to an email with no account waits
	// to be claimed before it returns to the sender.
	ClaimPeriod time.Duration `env:"CLAIM_PERIOD" envDefault:"720h"`
	// RefundWindow is how long after its success a payment may be
	// refunded (default 90 days).
	RefundWindow time.Duration `env:"REFUND_WINDOW" envDefault:"2160h"`
}

// loadConfig reads the environment into a Config, to be overridden by flags.
func loadConfig(environ []string) (Config, error) {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: vars, Prefix: "PAYGATE_"}); err != nil {
		return Config{}, fmt.Errorf("environment: %w", err)
	}
	return c, nil
}

// bindGlobal registers the flags every subcommand shares.
func (c *Config) bindGlobal(fs *pflag.FlagSet) {
	fs.StringVar(&c.DB, "db", c.DB, "database DSN: SQLite path or postgres:// URL (env PAYGATE_DB; default DATA_DIR/paygate.db)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the embedded database and local state (env PAYGATE_DATA_DIR)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env PAYGATE_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json (env PAYGATE_LOG_FORMAT)")
}

// DSN returns the database DSN, defaulting to SQLite in the data directory.
func (c Config) DSN() string {
	if c.DB != "" {
		return c.DB
	}
	return "sqlite:" + filepath.Join(c.DataDir, "paygate.db")
}

// newLogger builds the structured logger the config asks for.
func (c Config) newLogger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
}

// LogValue shows the config with secrets masked, for the startup log.
func (c Config) LogValue() slog.Value {
	dsn := c.DSN()
	if engine, _, err := db.ParseDSN(dsn); err == nil && engine == db.Postgres {
		dsn = maskDSN(dsn)
	}
	return slog.GroupValue(
		slog.String("db", dsn),
		slog.String("data_dir", c.DataDir),
		slog.String("addr", c.Addr),
		slog.String("log_level", c.LogLevel),
		slog.String("smtp_host", c.SMTPHost),
	)
}

// maskDSN hides a PostgreSQL password in a URL or key=value DSN.
func maskDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			if colon := strings.Index(dsn[i+3:at], ":"); colon >= 0 {
				return dsn[:i+3+colon+1] + "xxxxx" + dsn[at:]
			}
		}
		return dsn
	}
	fields := strings.Fields(dsn)
	for i, f := range fields {
		if strings.HasPrefix(f, "password=") {
			fields[i] = "password=xxxxx"
		}
	}
	return strings.Join(fields, " ")
}
