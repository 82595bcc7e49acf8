<?php
throw new Exception("flash-boom");
