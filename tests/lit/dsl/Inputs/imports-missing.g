# An import of a file that does not exist.
import "no-such-file.g"

graph main(x: f32[4]) -> (y: f32[4]) {
    y = x
}
