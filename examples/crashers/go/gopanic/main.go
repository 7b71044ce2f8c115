// gopanic: an index out of range inside a named user function, so the
// trace has user frames (main.pick <- main.main).
// Expected: "panic: runtime error: index out of range [5] with length 3",
// exit status 2 (Linux and Windows).
package main

import (
	"fmt"
	"os"
)

//go:noinline
func pick(items []string, i int) string {
	return items[i]
}

func main() {
	items := []string{"a", "b", "c"}
	i := 5 + len(os.Args) - 1 // not a constant: the compiler cannot reject it
	fmt.Println(pick(items, i))
}
