module diagkit.example/gonilptr

go 1.19
