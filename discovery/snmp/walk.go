package snmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/cairn-cmdb/cairn/internal/textclip"
)

// The errors a target fails with when the agent cannot be talked to.
const (
	errNoAnswer   = "no answer (wrong community or host down)"
	errAuthFailed = "authentication failed (check user and passwords)"
)

// security is what the credentials say about talking to an agent.
type security struct {
	community string // v2c
	// v3
	user      string
	level     gosnmp.SnmpV3MsgFlags
	authProto gosnmp.SnmpV3AuthProtocol
	authPass  string
	privProto gosnmp.SnmpV3PrivProtocol
	privPass  string
	v3        bool
}

// levelName is the security level for log messages.
func (s *security) levelName() string {
	if !s.v3 {
		return "community"
	}
	switch s.level {
	case gosnmp.AuthPriv:
		return "authPriv"
	case gosnmp.AuthNoPriv:
		return "authNoPriv"
	}
	return "noAuthNoPriv"
}

// authProtocol returns the authentication protocol called name.
func authProtocol(name string) (gosnmp.SnmpV3AuthProtocol, bool) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "MD5":
		return gosnmp.MD5, true
	case "SHA", "SHA1", "SHA-1":
		return gosnmp.SHA, true
	case "SHA224":
		return gosnmp.SHA224, true
	case "SHA256":
		return gosnmp.SHA256, true
	case "SHA384":
		return gosnmp.SHA384, true
	case "SHA512":
		return gosnmp.SHA512, true
	}
	return 0, false
}

// privProtocol returns the privacy protocol called name.
func privProtocol(name string) (gosnmp.SnmpV3PrivProtocol, bool) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "DES":
		return gosnmp.DES, true
	case "AES", "AES128":
		return gosnmp.AES, true
	case "AES192":
		return gosnmp.AES192, true
	case "AES256":
		return gosnmp.AES256, true
	case "AES192C":
		return gosnmp.AES192C, true
	case "AES256C":
		return gosnmp.AES256C, true
	}
	return 0, false
}

// credentials reads the job's credentials for version. Errors name the
// missing or wrong key, never a value other than a protocol name.
func credentials(version string, m map[string]string) (*security, error) {
	if version != "3" {
		c := m["community"]
		if c == "" {
			return nil, errors.New(`SNMP v2c needs "community"`)
		}
		return &security{community: c}, nil
	}
	s := &security{v3: true, user: m["user"], level: gosnmp.NoAuthNoPriv,
		authProto: gosnmp.NoAuth, privProto: gosnmp.NoPriv}
	if s.user == "" {
		return nil, errors.New(`SNMP v3 needs "user"`)
	}
	authName, privName := m["auth_protocol"], m["priv_protocol"]
	s.authPass, s.privPass = m["auth_password"], m["priv_password"]
	switch {
	case s.authPass == "" && authName != "":
		return nil, errors.New(`"auth_protocol" without "auth_password"`)
	case s.privPass == "" && privName != "":
		return nil, errors.New(`"priv_protocol" without "priv_password"`)
	case s.privPass != "" && s.authPass == "":
		return nil, errors.New(`"priv_password" without "auth_password": SNMP v3 has no privacy without authentication`)
	}
	if s.authPass != "" {
		if authName == "" {
			authName = "SHA"
		}
		p, ok := authProtocol(authName)
		if !ok {
			return nil, fmt.Errorf(`"auth_protocol" %q is not one of MD5, SHA, SHA224, SHA256, SHA384, SHA512`, textclip.BytesMarked(authName, 16))
		}
		s.authProto, s.level = p, gosnmp.AuthNoPriv
	}
	if s.privPass != "" {
		if privName == "" {
			privName = "AES"
		}
		p, ok := privProtocol(privName)
		if !ok {
			return nil, fmt.Errorf(`"priv_protocol" %q is not one of DES, AES, AES192, AES256, AES192C, AES256C`, textclip.BytesMarked(privName, 16))
		}
		s.privProto, s.level = p, gosnmp.AuthPriv
	}
	return s, nil
}

// client returns an unconnected gosnmp client for host.
func (s *Source) client(ctx context.Context, host string, sec *security) *gosnmp.GoSNMP {
	g := &gosnmp.GoSNMP{
		Target:         host,
		Port:           uint16(s.cfg.Port),
		Transport:      "udp",
		Context:        ctx,
		Timeout:        time.Duration(s.cfg.Timeout),
		Retries:        s.cfg.Retries,
		MaxOids:        gosnmp.MaxOids,
		MaxRepetitions: uint32(s.cfg.MaxRepetitions),
	}
	if !sec.v3 {
		g.Version = gosnmp.Version2c
		g.Community = sec.community
		return g
	}
	g.Version = gosnmp.Version3
	g.SecurityModel = gosnmp.UserSecurityModel
	g.MsgFlags = sec.level
	g.SecurityParameters = &gosnmp.UsmSecurityParameters{
		UserName:                 sec.user,
		AuthenticationProtocol:   sec.authProto,
		AuthenticationPassphrase: sec.authPass,
		PrivacyProtocol:          sec.privProto,
		PrivacyPassphrase:        sec.privPass,
	}
	return g
}

// table is a conceptual table and the columns of it that are walked. The
// first column is one every row has (per its MIB), so when it is empty the
// agent has no such table and the other columns are not asked for.
type table struct {
	name    string
	columns []string
}

// tables returns the tables in the order they are walked, after the system
// group.
func tables() []table {
	return []table{
		{"ifTable", []string{oidIfDescr, oidIfType, oidIfSpeed, oidIfPhysAddress, oidIfOperStatus}},
		{"ifXTable", []string{oidIfName, oidIfHighSpeed, oidIfAlias}},
		{"ipAddrTable", []string{oidIPAdEntIf, oidIPAdEntMask}},
		{"ipAddressTable", []string{oidIPAddressIf, oidIPAddressTyp, oidIPAddressPfx}},
		{"hrStorageTable", []string{oidHrStorageType, oidHrStorageDescr, oidHrStorageUnits, oidHrStorageSize}},
		{"hrDeviceTable", []string{oidHrDeviceType, oidHrDeviceDescr}},
		{"entPhysicalTable", []string{oidEntPhysicalClass, oidEntPhysicalDescr, oidEntPhysicalName, oidEntPhysicalSerial, oidEntPhysicalModel}},
	}
}

// walk reads the system group and the tables from host.
func (s *Source) walk(ctx context.Context, host string, sec *security) ([]gosnmp.SnmpPDU, error) {
	g := s.client(ctx, host, sec)
	if err := g.Connect(); err != nil {
		if err := ctxErr(ctx, err); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("connecting to %s: %w", net.JoinHostPort(host, fmt.Sprint(s.cfg.Port)), err)
	}
	defer g.Close()

	// One GET reads the system group and tells whether the agent answers
	// at all. sysUpTime is read but not mapped (it changes all the time);
	// hrSystemUptime only tells whether the agent implements
	// HOST-RESOURCES-MIB (noSuchObject when it does not), which is evidence
	// of the device's kind.
	get := []string{oidSysDescr, oidSysObjectID, oidSysUpTime, oidSysContact, oidSysName, oidSysLocation,
		oidSysServices, oidHrSystemUptime}
	walked := tables()
	if s.cfg.Neighbours {
		get = append(get, neighbourScalars()...)
		walked = append(walked, neighbourTables()...)
	}
	res, err := g.Get(get)
	if err != nil {
		return nil, s.requestError(ctx, g, err, "")
	}
	switch {
	case res.Error == gosnmp.AuthorizationError && sec.v3:
		// The user authenticated, but the agent's access control refuses
		// it at this security level (a user that must use privacy, for
		// example, and no priv_password).
		return nil, fmt.Errorf("access denied at security level %s (check user and passwords)", sec.levelName())
	case res.Error != gosnmp.NoError:
		return nil, fmt.Errorf("reading the system group: agent error %s", res.Error)
	}
	pdus := make([]gosnmp.SnmpPDU, 0, 256)
	pdus = append(pdus, res.Variables...)
	for _, t := range walked {
		for i, col := range t.columns {
			n := 0
			err := g.BulkWalk(col, func(p gosnmp.SnmpPDU) error {
				pdus = append(pdus, p)
				n++
				return nil
			})
			if err != nil {
				return nil, s.requestError(ctx, g, err, fmt.Sprintf("walking %s (%s)", t.name, col))
			}
			if i == 0 && n == 0 {
				break
			}
		}
	}
	return pdus, nil
}

// requestError turns a failed request into the target's error. what is ""
// for the first request, whose silence means the agent does not answer.
func (s *Source) requestError(ctx context.Context, g *gosnmp.GoSNMP, err error, what string) error {
	if err := ctxErr(ctx, err); err != nil {
		return err
	}
	switch {
	case errors.Is(err, gosnmp.ErrWrongDigest), errors.Is(err, gosnmp.ErrUnknownUsername),
		errors.Is(err, gosnmp.ErrDecryption), unauthentic(err):
		return errors.New(errAuthFailed)
	case errors.Is(err, gosnmp.ErrUnknownSecurityLevel):
		return fmt.Errorf("authentication failed (the agent does not accept security level %s for this user)", levelName(g.MsgFlags))
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("no SNMP agent (port %d/udp closed)", s.cfg.Port)
	}
	timedOut := errors.Is(err, gosnmp.ErrMaxRetriesExceeded) || errors.Is(err, context.DeadlineExceeded)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		timedOut = true
	}
	if timedOut && what == "" {
		if engineKnown(g) {
			// The agent answered the unauthenticated engine discovery but
			// not the request: it dropped what it could not authenticate
			// or decrypt.
			return errors.New(errAuthFailed)
		}
		return errors.New(errNoAnswer)
	}
	if timedOut {
		return fmt.Errorf("%s: no answer after %d tries of %s", what, s.cfg.Retries+1, s.cfg.Timeout)
	}
	if what == "" {
		what = "reading the system group"
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ctxErr returns ctx's error when the request failed because ctx ended.
// gosnmp waits for no longer than ctx's deadline, so its "deadline
// exceeded" can come a moment before ctx itself reports it.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			<-ctx.Done()
			return ctx.Err()
		}
	}
	return nil
}

// unauthentic reports whether err is gosnmp's rejection of an answer whose
// authentication did not check out: what it makes of the agent's report
// about an unknown user or a wrong password, which is authenticated with
// keys the agent does not share. gosnmp has no error value for it.
func unauthentic(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "packet is not authentic") || strings.Contains(msg, "requires authentication")
}

// engineKnown reports whether a v3 client learnt the agent's engine ID, which
// only an answering agent tells.
func engineKnown(g *gosnmp.GoSNMP) bool {
	if g.Version != gosnmp.Version3 {
		return false
	}
	usm, ok := g.SecurityParameters.(*gosnmp.UsmSecurityParameters)
	return ok && usm.AuthoritativeEngineID != ""
}

func levelName(f gosnmp.SnmpV3MsgFlags) string {
	return (&security{v3: true, level: f & gosnmp.AuthPriv}).levelName()
}
