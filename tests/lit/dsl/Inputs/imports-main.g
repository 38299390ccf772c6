import "imports-lib.g"
import "imports-lib.g"  # a second import of the same file changes nothing

graph main(x: f32[4]) -> (y: f32[4]) {
    t = act_tanh(x)
    y = act_sigmoid(t)
}
