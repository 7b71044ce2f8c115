// gorace: two goroutines write a shared variable without synchronisation.
// Built with -race (Linux only: needs cgo). Expected: "WARNING: DATA RACE"
// with both goroutines' stacks, "Found 1 data race(s)", exit status 66.
package main

import (
	"fmt"
	"sync"
)

var counter int

func increment(wg *sync.WaitGroup) {
	defer wg.Done()
	counter++
}

func main() {
	var wg sync.WaitGroup
	wg.Add(2)
	go increment(&wg)
	go increment(&wg)
	wg.Wait()
	fmt.Println("counter:", counter)
}
