// Command framewise-ferretdb runs FerretDB v1 (MongoDB wire protocol) with its SQLite backend,
// for local development and tests of Framewise (see scripts/infra/mongo.sh).
//
// It embeds the github.com/FerretDB/FerretDB/ferretdb package instead of building
// FerretDB's own cmd/ferretdb: `go install .../cmd/ferretdb@v1.24.2` yields a binary that panics
// at start-up because the generated build/version/version.txt is missing from the module.
// The embeddable package never starts telemetry (it is disabled explicitly by the package).
//
// Usage:
//
//	framewise-ferretdb [-listen-addr 127.0.0.1:27017] -sqlite-url file:/data/dir/ [-log-level info]
//	framewise-ferretdb ping [-addr 127.0.0.1:27017] [-timeout 2s]
//
// `ping` sends {ping: 1} to the admin database over OP_MSG and exits 0 if the reply has ok: 1.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ping" {
		os.Exit(pingMain(os.Args[2:]))
	}
	os.Exit(serverMain(os.Args[1:]))
}

func serverMain(args []string) int {
	fs := flag.NewFlagSet("framewise-ferretdb", flag.ExitOnError)
	listenAddr := fs.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteURL := fs.String("sqlite-url", "", "SQLite backend URL, a directory: file:/path/to/dir/")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	_ = fs.Parse(args)

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "invalid -log-level %q: %v\n", *logLevel, err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	if !strings.HasPrefix(*sqliteURL, "file:") || !strings.HasSuffix(*sqliteURL, "/") {
		logger.Error("-sqlite-url must be a directory URL like file:/path/to/dir/", "sqlite-url", *sqliteURL)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		logger.Error("cannot start FerretDB", "error", err)
		return 1
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()

	logger.Info("framewise-ferretdb started", "uri", f.MongoDBURI(), "sqlite-url", *sqliteURL)

	<-done
	logger.Info("framewise-ferretdb stopped")
	return 0
}

func pingMain(args []string) int {
	fs := flag.NewFlagSet("ping", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:27017", "server address")
	timeout := fs.Duration("timeout", 2*time.Second, "overall timeout")
	quiet := fs.Bool("q", false, "print nothing")
	_ = fs.Parse(args)

	if err := ping(*addr, *timeout); err != nil {
		if !*quiet {
			fmt.Fprintf(os.Stderr, "ping %s: %v\n", *addr, err)
		}
		return 1
	}
	if !*quiet {
		fmt.Printf("ping %s: ok\n", *addr)
	}
	return 0
}

// ping sends an OP_MSG {ping: 1, $db: "admin"} and checks that the reply has ok == 1.
func ping(addr string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err = conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}

	// BSON document {ping: int32(1), $db: "admin"}.
	var doc bytes.Buffer
	doc.Write([]byte{0, 0, 0, 0})
	doc.WriteByte(0x10)
	doc.WriteString("ping\x00")
	_ = binary.Write(&doc, binary.LittleEndian, int32(1))
	doc.WriteByte(0x02)
	doc.WriteString("$db\x00")
	_ = binary.Write(&doc, binary.LittleEndian, int32(len("admin")+1))
	doc.WriteString("admin\x00")
	doc.WriteByte(0)
	d := doc.Bytes()
	binary.LittleEndian.PutUint32(d, uint32(len(d)))

	// OP_MSG: header (length, requestID, responseTo, opCode 2013), flagBits, section kind 0.
	var msg bytes.Buffer
	_ = binary.Write(&msg, binary.LittleEndian, int32(16+4+1+len(d)))
	_ = binary.Write(&msg, binary.LittleEndian, int32(1))
	_ = binary.Write(&msg, binary.LittleEndian, int32(0))
	_ = binary.Write(&msg, binary.LittleEndian, int32(2013))
	_ = binary.Write(&msg, binary.LittleEndian, uint32(0))
	msg.WriteByte(0)
	msg.Write(d)
	if _, err = conn.Write(msg.Bytes()); err != nil {
		return err
	}

	var header [16]byte
	if _, err = io.ReadFull(conn, header[:]); err != nil {
		return err
	}
	length := int(binary.LittleEndian.Uint32(header[0:4]))
	opCode := binary.LittleEndian.Uint32(header[12:16])
	if length < 16+4+1+5 || length > 16<<20 || opCode != 2013 {
		return fmt.Errorf("unexpected reply header: length %d, opCode %d", length, opCode)
	}
	body := make([]byte, length-16)
	if _, err = io.ReadFull(conn, body); err != nil {
		return err
	}
	if body[4] != 0 {
		return fmt.Errorf("unexpected section kind %d", body[4])
	}
	ok, err := bsonOK(body[5:])
	if err != nil {
		return err
	}
	if ok != 1 {
		return fmt.Errorf("reply ok = %v", ok)
	}
	return nil
}

// bsonOK returns the numeric value of the top-level "ok" field of a BSON document.
func bsonOK(b []byte) (float64, error) {
	if len(b) < 5 {
		return 0, errors.New("short document")
	}
	end := int(binary.LittleEndian.Uint32(b[0:4]))
	if end > len(b) {
		return 0, errors.New("truncated document")
	}
	i := 4
	for i < end-1 {
		t := b[i]
		i++
		n := bytes.IndexByte(b[i:end], 0)
		if n < 0 {
			return 0, errors.New("bad element name")
		}
		name := string(b[i : i+n])
		i += n + 1
		var size int
		switch t {
		case 0x01: // double
			if name == "ok" {
				return math.Float64frombits(binary.LittleEndian.Uint64(b[i:])), nil
			}
			size = 8
		case 0x10: // int32
			if name == "ok" {
				return float64(int32(binary.LittleEndian.Uint32(b[i:]))), nil
			}
			size = 4
		case 0x12, 0x09, 0x11: // int64, datetime, timestamp
			if name == "ok" && t == 0x12 {
				return float64(int64(binary.LittleEndian.Uint64(b[i:]))), nil
			}
			size = 8
		case 0x08: // bool
			if name == "ok" {
				if b[i] != 0 {
					return 1, nil
				}
				return 0, nil
			}
			size = 1
		case 0x02: // string
			size = 4 + int(binary.LittleEndian.Uint32(b[i:]))
		case 0x03, 0x04: // document, array
			size = int(binary.LittleEndian.Uint32(b[i:]))
		case 0x05: // binary
			size = 4 + 1 + int(binary.LittleEndian.Uint32(b[i:]))
		case 0x07: // ObjectId
			size = 12
		case 0x0A: // null
			size = 0
		case 0x13: // decimal128
			size = 16
		default:
			return 0, fmt.Errorf("unsupported BSON type 0x%02x in reply", t)
		}
		i += size
	}
	return 0, errors.New(`reply has no "ok" field`)
}
