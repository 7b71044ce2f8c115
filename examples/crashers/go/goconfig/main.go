// goconfig: reads ./config.json relative to the working directory and panics
// when it cannot, the classic "works from its own folder, flashes and exits
// from a shortcut or another folder" program. The build ships a config.json
// next to the binary, so it runs from there and fails from anywhere else.
// Expected from another folder: stderr
//   "panic: open config.json: no such file or directory" (Windows: "The
//   system cannot find the file specified."), exit status 2.
// From its own folder: prints the greeting from config.json, exit status 0.
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

type config struct {
	Greeting string `json:"greeting"`
}

//go:noinline
func loadConfig(path string) config {
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	var c config
	if err := json.Unmarshal(data, &c); err != nil {
		panic(fmt.Errorf("%s: %w", path, err))
	}
	return c
}

func main() {
	c := loadConfig("config.json")
	fmt.Println(c.Greeting)
}
