// gologfatal: log.Fatal prints a timestamped message and calls os.Exit(1):
// no panic, no trace, deferred functions do not run.
// Expected: "<date> <time> gologfatal: cannot open config: ...", exit status 1.
package main

import (
	"log"
	"os"
)

func main() {
	log.SetPrefix("")
	defer log.Println("never printed")
	_, err := os.Open("/nonexistent/diagkit/config.toml")
	log.Fatal("gologfatal: cannot open config: ", err)
}
