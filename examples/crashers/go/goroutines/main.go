// goroutines: starts goroutines blocked on channels in different functions
// (a worker pool, a ticker, a mutex waiter), then panics in main. Traceback
// level "all" (set from inside) puts every goroutine in the dump.
// Expected: "panic: goroutines: giving up with 12 goroutines waiting",
// "goroutine 1 [running]:" and 12 more goroutines, exit status 2.
package main

import (
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

func worker(id int, jobs <-chan int) {
	for j := range jobs {
		_ = id * j
	}
}

func collector(results chan<- string, stop <-chan struct{}) {
	select {
	case results <- "done":
	case <-stop:
	}
}

func lockWaiter(mu *sync.Mutex) {
	mu.Lock()
	defer mu.Unlock()
}

func sleeper() {
	time.Sleep(time.Hour)
}

func main() {
	debug.SetTraceback("all")
	jobs := make(chan int)
	for i := 0; i < 8; i++ {
		go worker(i, jobs)
	}
	go collector(make(chan string), make(chan struct{}))
	go collector(make(chan string), make(chan struct{}))
	var mu sync.Mutex
	mu.Lock()
	go lockWaiter(&mu)
	go sleeper()
	time.Sleep(100 * time.Millisecond) // let them all block
	panic(fmt.Sprintf("goroutines: giving up with %d goroutines waiting", 12))
}
