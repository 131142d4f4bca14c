package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Listener is told about PostgreSQL notifications on one channel.
type Listener struct {
	// Ready is called once the channel is listened to (at start and after
	// every reconnection): notifications sent while nobody listened are
	// lost, so whatever Changed would drop, Ready drops too.
	Ready func()
	// Changed is called for every notification.
	Changed func()
	// Lost is called when the listening connection fails; until Ready is
	// called again nothing is heard.
	Lost func(error)
}

// listenRetry is the pause between attempts to listen again.
const listenRetry = time.Second

// Listen listens to channel (PostgreSQL LISTEN) on a connection it keeps
// out of the pool, calling l's functions, until ctx ends; it reconnects
// after a failure (a restart, a terminated session). On SQLite it returns
// at once: there is no other process to hear from. NOTIFY is delivered
// at commit, so a listener hears only what committed.
func (d *DB) Listen(ctx context.Context, channel string, l Listener) {
	if d.backend != Postgres {
		return
	}
	for ctx.Err() == nil {
		err := d.listenOnce(ctx, channel, l)
		if ctx.Err() != nil {
			return
		}
		l.Lost(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(listenRetry):
		}
	}
}

func (d *DB) listenOnce(ctx context.Context, channel string, l Listener) error {
	conn, err := d.writer.Conn(ctx)
	if err != nil {
		return fmt.Errorf("taking a connection to listen to %s: %w", channel, err)
	}
	defer conn.Close()
	var listenErr error
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			listenErr = fmt.Errorf("listening to %s: not a pgx connection (%T)", channel, dc)
			return nil
		}
		c := sc.Conn()
		if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			listenErr = fmt.Errorf("listening to %s: %w", channel, err)
			return driver.ErrBadConn
		}
		l.Ready()
		for {
			if _, err := c.WaitForNotification(ctx); err != nil {
				listenErr = fmt.Errorf("waiting for %s: %w", channel, err)
				// The session listens (or is broken): never hand it
				// back to the pool.
				return driver.ErrBadConn
			}
			l.Changed()
		}
	})
	if listenErr != nil {
		return listenErr
	}
	if err != nil && !errors.Is(err, driver.ErrBadConn) {
		return fmt.Errorf("listening to %s: %w", channel, err)
	}
	return errors.New("listening ended")
}
