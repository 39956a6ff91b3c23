package esapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apikeyctl/apikeyctl/pkg/api"
	"github.com/apikeyctl/apikeyctl/pkg/apikey"
	"github.com/apikeyctl/apikeyctl/pkg/auth"
	"github.com/apikeyctl/apikeyctl/pkg/esapi"
	"github.com/apikeyctl/apikeyctl/pkg/keyservice"
	"github.com/apikeyctl/apikeyctl/pkg/store"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres"
	"github.com/apikeyctl/apikeyctl/pkg/store/postgres/pgtest"
)

// The query fixture: 240 API keys generated from a fixed seed with a fixed
// clock, in a real store (SQLite or PostgreSQL) behind apikeyd's handler,
// and the callers the golden requests and the official client use.

// queryNow is the fixture's clock: 2025-06-01T12:00:00Z.
var queryNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	fixtureKeys     = 240
	elasticPassword = "golden-password"
	userPassword    = "user-password"
	// aliceKeySecret is the secret of alice's own key "alice-query-key",
	// the API key caller of the fixture.
	aliceKeySecret = "c2VjcmV0LW9mLWFsaWNlLWtleQ"
)

// aliceKeyID is the id of alice's key.
var aliceKeyID = fixtureID(9999)

// fixtureID is a stable 20-character key id.
func fixtureID(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("golden-key-%d", i)))
	return base64.RawURLEncoding.EncodeToString(sum[:15])
}

type fixtureOwner struct {
	principal, realm, realmType string
	weight                      int
}

var fixtureOwners = []fixtureOwner{
	{"alice", "default_native", "native", 35},
	{"bob", "default_native", "native", 25},
	{"carol", "default_native", "native", 15},
	{"elastic", "reserved", "reserved", 15},
	{"svc-ci", "file1", "file", 10},
}

var fixtureNames = []string{
	"ci-deploy-%02d", "ci-build-%02d", "backup-%d", "monitoring", "app-%d-reader", "app-%d-writer",
	"Rotation Test", "kibana-%d", "metrics-shipper", "legacy-key-%d",
}

var (
	fixtureEnvs  = []string{"prod", "staging", "dev"}
	fixtureTeams = []string{"payments", "search", "infra", "web"}
	fixtureTags  = []string{"critical", "batch", "ci", "rotate", "external"}
)

const day = int64(24 * time.Hour / time.Millisecond)

// fixtureKeysFor generates the fixture's keys.
func fixtureKeysFor() []*store.APIKey {
	r := rand.New(rand.NewPCG(20250601, 42))
	now := queryNow.UnixMilli()
	total := 0
	for _, o := range fixtureOwners {
		total += o.weight
	}
	keys := make([]*store.APIKey, 0, fixtureKeys)
	for i := range fixtureKeys {
		pick := r.IntN(total)
		var owner fixtureOwner
		for _, o := range fixtureOwners {
			if pick < o.weight {
				owner = o
				break
			}
			pick -= o.weight
		}
		name := fixtureNames[r.IntN(len(fixtureNames))]
		if strings.Contains(name, "%") {
			name = fmt.Sprintf(name, r.IntN(20))
		}
		k := &store.APIKey{
			ID:       fixtureID(i),
			Name:     name,
			Type:     api.TypeRest,
			Creation: now - r.Int64N(365)*day - r.Int64N(day),
			Hash:     "{SSHA256}fixture0" + base64.StdEncoding.EncodeToString(make([]byte, 32)),
			Creator: store.Creator{Principal: owner.principal, Realm: owner.realm, RealmType: owner.realmType,
				Metadata: json.RawMessage(`{}`)},
		}
		switch x := r.IntN(20); {
		case x < 6:
		case x < 8:
			e := now + r.Int64N(7*day)
			k.Expiration = &e
		default:
			e := k.Creation + []int64{7, 30, 90, 365}[r.IntN(4)]*day
			k.Expiration = &e
		}
		if r.IntN(10) == 0 {
			k.Invalidated = true
			inv := k.Creation + r.Int64N(now-k.Creation+1)
			k.Invalidation = &inv
		}
		if r.IntN(10) == 0 {
			k.Type = api.TypeCrossCluster
			k.RoleDescriptors = json.RawMessage(`{"cross_cluster":{"cluster":["cross_cluster_search","monitor_enrich"],"indices":[{"names":["logs-*"],"privileges":["read","read_cross_cluster","view_index_metadata"],"allow_restricted_indices":false}],"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"enabled":true}}}`)
			k.LimitedBy = json.RawMessage(`{}`)
		} else {
			if r.IntN(3) == 0 {
				k.RoleDescriptors = json.RawMessage(`{"reader":{"cluster":["monitor"],"indices":[{"names":["logs-*"],"privileges":["read"],"allow_restricted_indices":false}],"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"enabled":true}}}`)
			} else {
				k.RoleDescriptors = json.RawMessage(`{}`)
			}
			k.LimitedBy = json.RawMessage(`{"superuser":{"cluster":["all"],"indices":[{"names":["*"],"privileges":["all"],"allow_restricted_indices":true}],"applications":[],"run_as":["*"],"metadata":{"_reserved":true},"transient_metadata":{"enabled":true}}}`)
		}
		k.Metadata = fixtureMetadata(r)
		keys = append(keys, k)
	}
	return keys
}

func fixtureMetadata(r *rand.Rand) json.RawMessage {
	if r.IntN(8) == 0 {
		return json.RawMessage(`{}`)
	}
	m := []string{fmt.Sprintf(`"env":%q`, fixtureEnvs[r.IntN(len(fixtureEnvs))])}
	if r.IntN(3) > 0 {
		m = append(m, fmt.Sprintf(`"team":%q`, fixtureTeams[r.IntN(len(fixtureTeams))]))
	}
	if r.IntN(2) == 0 {
		tags := []string{}
		for range 1 + r.IntN(3) {
			tags = append(tags, fmt.Sprintf("%q", fixtureTags[r.IntN(len(fixtureTags))]))
		}
		m = append(m, `"tags":[`+strings.Join(tags, ",")+`]`)
	}
	if r.IntN(3) == 0 {
		m = append(m, `"version":`+[]string{"1", "2", "1.50", `"2.0"`, "10"}[r.IntN(5)])
	}
	if r.IntN(4) == 0 {
		m = append(m, fmt.Sprintf(`"owner":{"team":%q,"oncall":%v}`, fixtureTeams[r.IntN(len(fixtureTeams))], r.IntN(2) == 0))
	}
	if r.IntN(6) == 0 {
		m = append(m, `"rotated":`+[]string{"true", "false"}[r.IntN(2)])
	}
	return json.RawMessage("{" + strings.Join(m, ",") + "}")
}

// queryFixture is apikeyd's handler over the fixture.
type queryFixture struct {
	handler http.Handler
	svc     *keyservice.Service
}

// callers of the fixture, by name: their Authorization header values.
var fixtureCallers = map[string]string{
	"elastic":   basicHeader("elastic", elasticPassword),
	"alice":     basicHeader("alice", userPassword),
	"auditor":   basicHeader("auditor", userPassword),
	"nobody":    basicHeader("nobody", userPassword),
	"alice-key": "ApiKey " + apikey.Encode(aliceKeyID, aliceKeySecret),
}

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// fixtureStore opens an empty store of one kind for a fixture, closed
// when the test ends; it skips the test when the kind cannot be had.
type fixtureStore struct {
	name string
	open func(t testing.TB) store.Store
}

// fixtureStores are the stores the query goldens run on: every answer
// must be the same, byte for byte, whichever store holds the keys.
var fixtureStores = []fixtureStore{
	{"sqlite", func(t testing.TB) store.Store { return openTempDB(t) }},
	{"postgres", openTempPostgres},
}

// openTempPostgres opens a PostgreSQL store on a fresh database of the
// test binary's private server (pgtest), skipping the test when no
// server can be had.
func openTempPostgres(t testing.TB) store.Store {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newQueryFixtureOn is the fixture over db, which must be empty.
func newQueryFixtureOn(t testing.TB, db store.Store) *queryFixture {
	t.Helper()
	ctx := context.Background()
	svc, err := keyservice.New(db, keyservice.Options{Now: func() time.Time { return queryNow }, PasswordHashing: "pbkdf2_1000"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(ctx, elasticPassword); err != nil {
		t.Fatal(err)
	}
	admin := auth.WithSubject(ctx, auth.OSSubject("root"))
	for name, cluster := range map[string]string{"own_keys": "manage_own_api_key", "key_reader": "read_security"} {
		if _, err := svc.PutRole(admin, &api.PutRoleRequest{Name: name, Descriptor: api.RoleDescriptor{Cluster: []string{cluster}}}); err != nil {
			t.Fatal(err)
		}
	}
	pw := userPassword
	for user, roles := range map[string][]string{"alice": {"own_keys"}, "auditor": {"key_reader"}, "nobody": {}} {
		if _, err := svc.PutUser(admin, &api.PutUserRequest{Username: user, Password: &pw, Roles: roles}); err != nil {
			t.Fatal(err)
		}
	}
	keys := fixtureKeysFor()
	hasher, err := apikey.NewHasher("ssha256")
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hasher.Hash(aliceKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	exp := queryNow.UnixMilli() + 30*day
	keys = append(keys, &store.APIKey{
		ID: aliceKeyID, Name: "alice-query-key", Type: api.TypeRest, Creation: queryNow.UnixMilli() - day, Expiration: &exp,
		Hash: hash, RoleDescriptors: json.RawMessage(`{}`),
		LimitedBy: json.RawMessage(`{"own_keys":{"cluster":["manage_own_api_key"],"indices":[],"applications":[],"run_as":[],"metadata":{},"transient_metadata":{"enabled":true}}}`),
		Metadata:  json.RawMessage(`{"env":"dev","purpose":"query tests"}`),
		Creator:   store.Creator{Principal: "alice", Realm: "default_native", RealmType: "native", Metadata: json.RawMessage(`{}`)},
	})
	err = db.Update(ctx, func(w store.Writer) error {
		for _, k := range keys {
			if err := w.InsertAPIKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h := esapi.NewHandler(esapi.Config{Service: svc, Authenticator: svc, Info: esapi.ClusterInfo{Name: "node-1", ClusterName: "apikeyd", ClusterUUID: "uuid-1"}})
	return &queryFixture{handler: h, svc: svc}
}
