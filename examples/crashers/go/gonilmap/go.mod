module diagkit.example/gonilmap

go 1.19
